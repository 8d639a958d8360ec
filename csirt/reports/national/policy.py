"""Who may read and fill an incident's national reports: the incidents policy decides. Whoever
may see the incident may read the forms and download them (managers, the agency's own liaisons
included); whoever may edit the incident may save the answers."""
from ...incidents import policy as incidents_policy


def get_incident(user, incident_id):
    """The incident, or NotFound when `user` may not see it (the same answer as a missing one)."""
    return incidents_policy.get_visible(user, incident_id)


def can_edit(user, incident):
    return incidents_policy.can_work(user, incident)
