/**
 * The API version stamped on every event as `api_version`: the shapes of `data.object` (and of
 * `previous_attributes`) are those of this version of the API. A change that breaks a consumer of
 * event payloads ships with a new date here, so a webhook receiver can tell which shape it holds;
 * events already written keep the version they were written with. Documented in docs/api.md.
 */
export const API_VERSION = '2026-11-30';
