"""Score: conversation metrics, trackers, scorecards and coaching feedback."""
