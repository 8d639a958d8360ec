"""What managers read across every domain: the audit log page today; dashboards, regulatory
clocks and the national forms later. Sits above the domains it reads; nothing imports it."""
