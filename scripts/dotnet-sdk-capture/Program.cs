// One failing Blob call by the Azure SDK for .NET with its HTTP logging on, printed as an app prints it:
// the log, then the RequestFailedException the app catches and writes to stderr.
// Usage: dotnet-sdk-capture <blob URL with its SAS> <read|write> <event-source|ilogger>
//   event-source: AzureEventSourceListener.CreateConsoleLogger, as the SDK's docs show;
//   ilogger: Microsoft.Extensions.Logging's console logger, as ASP.NET and Functions apps log.
using System.Diagnostics.Tracing;
using Azure;
using Azure.Core.Diagnostics;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Logging;

var blobUrl = new Uri(args[0]);
var write = args[1] == "write";
var options = new BlobClientOptions();
options.Retry.MaxRetries = 0;
var blob = new BlockBlobClient(blobUrl, options);

if (args[2] == "ilogger")
{
    using var factory = LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Information));
    using var forwarder = new AzureEventSourceLogForwarder(factory);
    forwarder.Start();
    await Call();
}
else
{
    using var listener = AzureEventSourceListener.CreateConsoleLogger(EventLevel.Informational);
    await Call();
}

async Task Call()
{
    try
    {
        if (write) await blob.UploadAsync(new MemoryStream("a,b"u8.ToArray()));
        else await blob.DownloadContentAsync();
    }
    catch (RequestFailedException e)
    {
        Console.Error.WriteLine(e);
    }
}
