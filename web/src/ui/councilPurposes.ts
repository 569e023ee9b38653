import type { CouncilPurpose } from "../gql/graphql";

/** What a council contact answers for (CouncilPurpose), in the order every screen offers
 * them: the council screens (notices) send to one, the administration names their contacts. */
export const COUNCIL_PURPOSES: readonly CouncilPurpose[] = [
  "INFORMATION_SYSTEMS",
  "GENERAL_AFFAIRS",
  "DISASTER_PREVENTION",
  "FINANCE",
  "HEALTH_WELFARE",
  "EDUCATION",
];
export type { CouncilPurpose };
