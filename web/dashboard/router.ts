import { useEffect, useState } from 'react';

// Hash routes (#/customers/cus_…): the server serves one page for the whole dashboard.
export const go = (path: string) => { window.location.hash = `#${path}`; };

export function useRoute(): { path: string; query: URLSearchParams } {
  const read = () => {
    const raw = window.location.hash.slice(1) || '/';
    const [path = '/', search = ''] = raw.split('?');
    return { path, query: new URLSearchParams(search) };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
