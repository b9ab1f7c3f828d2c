"""The administrator's pages: every region, its municipalities and its coordinators."""
