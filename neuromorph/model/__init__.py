"""What a circuit is: element kinds, neurons, networks, stimuli. Plain Python specs that check themselves."""
