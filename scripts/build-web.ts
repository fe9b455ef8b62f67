// `npm run build:web`: builds the dashboard (and later the portal) when their sources changed.
import { ensureWebBuilt } from '../src/web/build.ts';

const built = await ensureWebBuilt();
console.log(built.length ? `built: ${built.join(', ')}` : 'web apps up to date');
