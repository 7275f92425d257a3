import { app } from "@azure/functions";
import { DEFAULT_SCHEDULE } from "../src/config/ncrontab.js";
import { triageTimerHandler } from "../src/timer/handler.js";

// Thin entry point: the schedule comes from the TRIAGE_SCHEDULE app setting (six-field NCRONTAB, UTC),
// validated again with every other setting on each run; all logic lives in src/timer/.
app.timer("triageTimer", {
  schedule: process.env.TRIAGE_SCHEDULE?.trim() || DEFAULT_SCHEDULE,
  handler: triageTimerHandler,
});
