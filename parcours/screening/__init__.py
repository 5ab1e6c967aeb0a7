"""Pure screening scores (Distress Thermometer, G8, PALLIA-10, surprise question). Stdlib only, no Django."""
