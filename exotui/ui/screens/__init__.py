"""The full screens pushed over the views: map, matrix, doctor, instance detail, SSH sessions, help."""
