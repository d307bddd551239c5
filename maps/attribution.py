"""Credits owed by anything that shows or ships the Casablanca district layer (kept free of heavy
imports so that an About box can show it without loading the geo engine)."""

ATTRIBUTION = ("Arrondissement boundaries © OpenStreetMap contributors (ODbL 1.0); "
               "population: HCP 2024 census (CC BY 4.0).")
