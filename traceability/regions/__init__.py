"""Administrative divisions and what lives in them."""
