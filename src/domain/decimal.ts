import { Decimal } from 'decimal.js';

/**
 * The one Decimal configuration for billing arithmetic, a private clone so other modules'
 * Decimal settings can never change our results. 60 significant digits is far beyond any amount
 * (<= 10^15) times any quantity we accept; rounding to an amount is roundHalfUp's job (money.ts).
 */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
