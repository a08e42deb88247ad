"""Talking with the twin: persona, prompt layout, generation, guards, and the HTTP API.

A reply is made in four steps: recall passages for the conversation (`twin.memory.recall`),
lay persona, passages and conversation out in one prompt (`prompt`), generate with the
fine-tuned or base model (`engine`), and check the reply sentence by sentence (`guards`).
"""
