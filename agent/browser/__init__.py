"""Browser access: finding an executable, profile locks, and the Playwright driver."""
