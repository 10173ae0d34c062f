"""The loyalty program: points ledger, tiers, rewards and the event outbox."""
