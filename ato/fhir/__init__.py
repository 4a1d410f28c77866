"""FHIR R4: the published directory as read-only FHIR resources at /fhir/."""
