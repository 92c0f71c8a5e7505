"""The back office for admins. Every view is wrapped in `decorators.admin_view`."""
