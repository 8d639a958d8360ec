"""The manager dashboard: open incidents, acknowledgement and resolution times, incidents per
agency, overdue regulatory clocks, the compliance summary and the alert volume, each figure
scoped by the policy of its records, with a table, a chart and a CSV."""
