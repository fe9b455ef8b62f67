import { Type } from '@sinclair/typebox';
import { decide, getNotification, listNotifications } from '../../app/notifications/notifications.ts';
import { getTemplate, listTemplates, previewTemplate, updateTemplate } from '../../app/notifications/templates.ts';
import { unsubscribe } from '../../app/notifications/unsubscribe.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { NOTIFICATION_KINDS } from '../../domain/notification-templates.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Kind = Type.Union(NOTIFICATION_KINDS.map((k) => Type.Literal(k)));
const KindParams = Type.Object({ kind: Kind });
const Source = (what: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: `Mustache ${what}; only the kind's variables` }));
const TemplateBody = Type.Object({ subject: Source('subject'), text: Source('text body'), html: Source('HTML body (values are HTML-escaped)'), sms: Source('SMS text') }, { additionalProperties: false });

/** Customer messages: their templates, their log, an operator's resend or drop, and the customer's one-click unsubscribe. */
export function notificationRoutes(app: App, deps: Deps) {
  const tags = ['notifications'];
  app.get('/v1/notification_templates', { schema: { tags, summary: 'The account\'s template of every message kind (built-in defaults included)', response: replies(R.ListOf(ref('NotificationTemplate'))) } },
    async (req) => await listTemplates(deps, actorOf(req).accountId));

  app.get('/v1/notification_templates/:kind', { schema: { tags, summary: 'Retrieve the template of a message kind', params: KindParams, response: replies(ref('NotificationTemplate')) } },
    async (req) => await getTemplate(deps, actorOf(req).accountId, req.params.kind));

  app.post('/v1/notification_templates/:kind', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Change the wording of a message kind; fields not given keep theirs', params: KindParams, body: TemplateBody, response: replies(ref('NotificationTemplate')) },
  }, async (req) => await updateTemplate(deps, actorOf(req), req.params.kind, req.body ?? {}));

  app.post('/v1/notification_templates/:kind/preview', {
    schema: { tags, summary: 'Render the template (with the given fields over it) with sample data; changes nothing', params: KindParams, body: TemplateBody, response: replies(R.NotificationPreview) },
  }, async (req) => await previewTemplate(deps, actorOf(req).accountId, req.params.kind, req.body ?? {}));

  app.get('/v1/notifications', {
    schema: {
      tags, summary: 'Messages to customers, newest first', response: replies(R.ListOf(ref('Notification'))),
      querystring: ListQuery({
        customer: Type.Optional(Id('cus')), kind: Type.Optional(Kind),
        status: Type.Optional(Type.Union(R.NOTIFICATION_STATUSES.map((s) => Type.Literal(s)))),
        channel: Type.Optional(Type.Union(R.NOTIFICATION_CHANNELS.map((s) => Type.Literal(s)))),
      }),
    },
  }, async (req) => await listNotifications(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer, kind: req.query.kind, status: req.query.status, channel: req.query.channel }));

  app.get('/v1/notifications/:id', { schema: { tags, summary: 'Retrieve a message', params: IdParams, response: replies(ref('Notification')) } },
    async (req) => await getNotification(deps, actorOf(req).accountId, req.params.id));

  for (const decision of ['resend', 'drop'] as const) {
    app.post(`/v1/notifications/:id/${decision}`, {
      config: { permission: 'billing' },
      schema: {
        tags, params: IdParams, body: Type.Object({}, { additionalProperties: false }), response: replies(ref('Notification')),
        summary: decision === 'resend' ? 'Send a message whose outcome is unknown (or that failed) again, with the same Message-ID' : 'Give up a message whose outcome is unknown (or that failed)',
      },
    }, async (req) => await decide(deps, actorOf(req), req.params.id, decision));
  }

  // RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" as a form, with no API key.
  void app.register(async (child) => {
    child.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    child.post('/v1/unsubscribe/:token', {
      config: { public: true },
      schema: {
        tags, summary: 'Unsubscribe a customer from one channel (the signed link of List-Unsubscribe; no API key)',
        params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }), response: replies(R.Unsubscribed),
        body: Type.Object({ 'List-Unsubscribe': Type.Optional(Type.Literal('One-Click')) }, { additionalProperties: false, description: 'As RFC 8058 mail clients send it, form-encoded (JSON is taken too)' }),
      },
    }, async (req) => await unsubscribe(deps, (req.params as { token: string }).token));
  });
}
