/**
 * The one place that knows the dashboard's incident URL shape. The dashboard serves its page under its
 * route and shows an incident at the hash route `#/incidents/<id>`, so a link survives any reverse proxy
 * or function route prefix in `baseUrl` (e.g. https://app.azurewebsites.net/api/dashboard).
 */
export function incidentLink(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/#/incidents/${encodeURIComponent(id)}`;
}
