"""What the bot says: deep links (contract §6), texts in Korean and English, Block Kit."""
