/**
 * Imported first by the diagnose engine: the dashboard page's CSP forbids eval, and zod probes for it
 * (`new Function("")`) when a schema is built unless jitless is set; the caught probe is still reported
 * as a CSP violation. Module evaluation follows import order, so this runs before any schema exists.
 */
import { z } from "zod";

z.config({ jitless: true });
