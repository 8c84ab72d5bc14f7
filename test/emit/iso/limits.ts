/** The ISO writer's memory bound, held by large.test.ts and quoted by the README (checked). */
export const RSS_LIMIT_MIB = 150;
