"""CDCI campaigns, questionnaires, invitations and responses (built by the survey issue)."""
