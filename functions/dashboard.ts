import { app } from "@azure/functions";
import {
  createDashboardHandlers,
  DASHBOARD_FUNCTIONS,
  openAppStateReader,
} from "../src/dashboard/azure-functions.js";

// Thin entry point: the dashboard page and its JSON API over the timer's state; all logic lives in
// src/dashboard/. Never anonymous: a function key by default, App Service authentication (Entra) on top as
// documented in docs/dashboard.md. The names are checked by the package test.
const handlers = createDashboardHandlers(() => openAppStateReader(process.env));

app.http("incidentsList", {
  methods: ["GET"],
  authLevel: "function",
  route: DASHBOARD_FUNCTIONS.incidentsList.route,
  handler: handlers.incidentsList,
});

app.http("incidentGet", {
  methods: ["GET"],
  authLevel: "function",
  route: DASHBOARD_FUNCTIONS.incidentGet.route,
  handler: handlers.incidentGet,
});

app.http("dashboardPage", {
  methods: ["GET"],
  authLevel: "function",
  route: DASHBOARD_FUNCTIONS.dashboardPage.route,
  handler: handlers.dashboardPage,
});
