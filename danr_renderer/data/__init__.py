"""Data sources: RealEstate10K-format posed video, synthetic scenes, COCO helpers."""
