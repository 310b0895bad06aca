/**
 * What the control API needs of an app: its status, its operators' operations and a peek at state — the part of
 * the runtime it depends on, so its routes can be tested with a fake.
 *
 * @module
 */

import type { Runtime } from "../runtime/runtime.ts";

/** The app as the control API sees it. */
export type ControlledApp = Pick<
  Runtime,
  | "startedAt"
  | "taskCount"
  | "processingGuarantee"
  | "moduleFile"
  | "status"
  | "isReady"
  | "ingresses"
  | "egresses"
  | "remoteFunctions"
  | "ingressOffsets"
  | "pauseIngress"
  | "resumeIngress"
  | "resetIngressOffsets"
  | "restartTask"
  | "functionSpec"
  | "task"
  | "instanceId"
  | "controlUrl"
  | "group"
  | "version"
  | "history"
>;
