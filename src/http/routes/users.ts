import { Type } from '@sinclair/typebox';
import { ROLES } from '../../app/accounts/accounts.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { createUser, getUser, listUsers, updateUser } from '../../app/users/users.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../domain/password.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'The same roles, with the same grants, as API keys' });
/** A new password, wherever one is set: by an admin, or by its user (POST /v1/sessions/current/password). */
export const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, description: `${PASSWORD_MIN}–${PASSWORD_MAX} characters; stored only as an scrypt hash` });

/** The dashboard's users: managed by admins only (permission `users`). */
export function userRoutes(app: App, deps: Deps) {
  const tags = ['users'];
  const config = { permission: 'users' as const };
  app.post('/v1/users', {
    config: { ...config, secretFields: ['password'] },
    schema: {
      tags, summary: 'Add a dashboard user', response: replies(ref('User')),
      body: Type.Object({ email: Type.String({ format: 'email', maxLength: 320 }), password: Password, role: Role }, { additionalProperties: false }),
    },
  }, async (req) => await createUser(deps, actorOf(req), req.body));

  app.get('/v1/users', { config, schema: { tags, summary: 'List dashboard users', response: replies(R.ListOf(ref('User'))), querystring: ListQuery() } },
    async (req) => await listUsers(deps, actorOf(req).accountId, pageOf(req.query)));

  app.get('/v1/users/:id', { config, schema: { tags, summary: 'Retrieve a dashboard user', response: replies(ref('User')), params: IdParams } },
    async (req) => await getUser(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/users/:id', {
    config: { ...config, secretFields: ['password'] },
    schema: {
      tags, summary: 'Change a user\'s role, disable or enable them, or set a new password (which ends their sessions)', response: replies(ref('User')), params: IdParams,
      body: Type.Object({ role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()), password: Type.Optional(Password) }, { additionalProperties: false }),
    },
  }, async (req) => await updateUser(deps, actorOf(req), req.params.id, req.body));
}
