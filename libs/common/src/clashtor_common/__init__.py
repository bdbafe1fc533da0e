"""What two or more Clashtor services share: nothing service-specific lives here."""
