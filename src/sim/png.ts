export function chartPng(_curves: number[][]): Buffer { throw new Error('not yet'); }
