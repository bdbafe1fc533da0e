"""Operations tooling: topic lag, replay and dead-letter redrive."""
