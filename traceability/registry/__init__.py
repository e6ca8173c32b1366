"""The producer registry (生产主体名录库): producers, their bases, checks and bulk import."""
