"""Applications (办件): forms, materials, submission, review, delivery, ratings and life events."""
