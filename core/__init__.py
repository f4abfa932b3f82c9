"""Building blocks that know nothing of the portal's apps: the append-only model base, the services'
clock, working-day arithmetic and the spreadsheet cell writer. Nothing here imports directory, feedback,
surveys, reports or any other app of ours; every app may import from here."""
