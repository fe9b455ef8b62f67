import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { invalid } from '../../domain/errors.ts';
import {
  DEFAULT_TEMPLATES, NOTIFICATION_KINDS, render, SAMPLE, TEMPLATE_FIELDS, templateProblem, VARIABLES,
  type NotificationKind, type Template,
} from '../../domain/notification-templates.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { iso } from '../views.ts';

export type TemplateInput = Partial<Template>;

const view = (kind: NotificationKind, t: Template, custom: { created: Date; updated: Date } | null) => ({
  object: 'notification_template' as const, kind, ...t, variables: [...VARIABLES[kind]], default: custom === null,
  created: iso(custom?.created ?? null), updated: iso(custom?.updated ?? null),
});

/** The account's wording of a kind: its own row, else the built-in default. */
export async function templateOf(db: Kysely<DB> | Transaction<DB>, accountId: string, kind: NotificationKind) {
  const row = await db.selectFrom('notification_templates').selectAll().where('account_id', '=', accountId).where('kind', '=', kind).executeTakeFirst();
  const t: Template = row ? { subject: row.subject, text: row.text_body, html: row.html_body, sms: row.sms_body } : DEFAULT_TEMPLATES[kind];
  return { template: t, custom: row ? { created: row.created_at, updated: row.updated_at } : null };
}

export async function listTemplates(deps: Deps, accountId: string) {
  const data = [];
  for (const kind of NOTIFICATION_KINDS) {
    const { template, custom } = await templateOf(deps.db, accountId, kind);
    data.push(view(kind, template, custom));
  }
  return { object: 'list' as const, data, has_more: false };
}

export async function getTemplate(deps: Deps, accountId: string, kind: NotificationKind) {
  const { template, custom } = await templateOf(deps.db, accountId, kind);
  return view(kind, template, custom);
}

function check(kind: NotificationKind, input: TemplateInput) {
  for (const f of TEMPLATE_FIELDS) {
    const source = input[f];
    if (source === undefined) continue;
    const problem = templateProblem(kind, f, source);
    if (problem) throw invalid('template_invalid', problem, f);
  }
}

/** Sets some fields of the account's template of a kind; the others keep their current wording. */
export async function updateTemplate(deps: Deps, actor: Actor, kind: NotificationKind, input: TemplateInput) {
  check(kind, input);
  return await command(deps, actor, async (u) => {
    const now = deps.clock.now();
    const { template: before, custom } = await templateOf(u.tx, u.accountId, kind);
    const t: Template = { ...before, ...input };
    const row = { subject: t.subject, text_body: t.text, html_body: t.html, sms_body: t.sms, updated_at: now };
    await u.tx.insertInto('notification_templates').values({ account_id: u.accountId, kind, ...row, created_at: now })
      .onConflict((oc) => oc.columns(['account_id', 'kind']).doUpdateSet(row)).execute();
    u.audit('notification_template.updated', 'notification_template', kind, custom ? before : null, t, now);
    return view(kind, t, { created: custom?.created ?? now, updated: now });
  });
}

/** The template (the account's, with `input` over it) rendered with sample data; writes nothing. */
export async function previewTemplate(deps: Deps, accountId: string, kind: NotificationKind, input: TemplateInput) {
  check(kind, input);
  const { template } = await templateOf(deps.db, accountId, kind);
  return { object: 'notification_preview' as const, kind, ...render({ ...template, ...input }, SAMPLE) };
}
