"""Report pages: the agency's telehealth figures and the directory's own live statistics."""
