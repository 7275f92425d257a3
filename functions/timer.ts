import { app } from "@azure/functions";
import { DEFAULT_SCHEDULE, ncrontabProblem } from "../src/config/ncrontab.js";
import { triageTimerHandler } from "../src/timer/handler.js";

// Thin entry point: all logic lives in src/timer/. The schedule comes from the TRIAGE_SCHEDULE app
// setting (six-field NCRONTAB, UTC). An invalid value is not handed to the host (it would refuse to load
// the function, with the reason only in host logs): the default schedule is used instead, and every run
// then fails with a message naming TRIAGE_SCHEDULE and how to fix it.
const configured = process.env.TRIAGE_SCHEDULE?.trim();
app.timer("triageTimer", {
  schedule: configured && !ncrontabProblem(configured) ? configured : DEFAULT_SCHEDULE,
  handler: triageTimerHandler,
});
