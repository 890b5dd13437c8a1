"""Device adapters and ports: card reader (PC/SC) and camera (OpenCV), one thread each."""
