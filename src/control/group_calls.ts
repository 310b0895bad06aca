/**
 * Calls between the control APIs of an app's instances: any instance answers for the whole app. A state read for
 * an address another member owns is forwarded to that member; pause and resume go to every member (each applies its
 * part) and report per instance. The caller's bearer token goes along; a member that cannot be reached is named.
 *
 * @module
 */

import type { GroupMember } from "../runtime/group_member.ts";

/** What one member answered to a forwarded call. */
export interface MemberResult {
  /** Its instance id. */
  instance: string;
  /** Its control URL. */
  url: string;
  /** Whether it applied the call. */
  ok: boolean;
  /** Its answer's status, when it answered. */
  status?: number;
  /** Why not, when it did not. */
  error?: string;
}

/** Marks a forwarded call: the member applies it locally and forwards nothing. */
export const LOCAL_SCOPE = "scope=instance";

const TIMEOUT_MS = 5_000;

/** The headers a forwarded call carries: the caller's token, JSON. */
function forwardedHeaders(authorization: string | undefined): Headers {
  const headers = new Headers({ accept: "application/json" });
  if (authorization !== undefined) headers.set("authorization", authorization);
  return headers;
}

/**
 * Forwards a GET to a member and returns its answer as is.
 *
 * @throws {Error} naming the member and URL when it cannot be reached.
 */
export async function forwardRead(
  member: GroupMember,
  pathAndQuery: string,
  authorization?: string,
): Promise<Response> {
  const url = `${member.info!.controlUrl}${pathAndQuery}`;
  try {
    return await fetch(url, { headers: forwardedHeaders(authorization), signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new Error(
      `member ${member.info!.instanceId} (${member.client}) at ${url} cannot be reached: ${reason(error)}`,
    );
  }
}

/** POSTs a call to every other member (with LOCAL_SCOPE), at once; what each did. */
export async function forwardToAll(
  members: readonly GroupMember[],
  selfId: string,
  path: string,
  authorization?: string,
): Promise<MemberResult[]> {
  const others = members.filter((member) => member.info !== undefined && member.info.instanceId !== selfId);
  return await Promise.all(others.map(async (member): Promise<MemberResult> => {
    const { instanceId, controlUrl } = member.info!;
    if (controlUrl === undefined) {
      return { instance: instanceId, url: "", ok: false, error: `${member.client} serves no control API` };
    }
    const url = `${controlUrl}${path}?${LOCAL_SCOPE}`;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: forwardedHeaders(authorization),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = await response.json().catch(() => ({}));
      return response.ok
        ? { instance: instanceId, url: controlUrl, ok: true, status: response.status }
        : { instance: instanceId, url: controlUrl, ok: false, status: response.status, error: body?.error?.message };
    } catch (error) {
      return { instance: instanceId, url: controlUrl, ok: false, error: `cannot be reached: ${reason(error)}` };
    }
  }));
}

function reason(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return `no answer within ${TIMEOUT_MS} ms`;
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
