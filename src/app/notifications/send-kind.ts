/** The send job's name and tries, shared by the fan-out that enqueues it and the kind that runs it. */
export const SEND_JOB = 'notification.send';
export const SEND_MAX_ATTEMPTS = 8;
