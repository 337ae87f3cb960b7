"""Analytics: conversations summarised per agent, version, day or provider."""
