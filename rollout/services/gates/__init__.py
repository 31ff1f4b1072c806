"""Gates (G1), checkpoints and bake time (G4): their settings, measuring, and promotion."""
