export { classifyChallenge, type Classification } from "./classify.js";
