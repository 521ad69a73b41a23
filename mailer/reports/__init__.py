"""Reports: what each send achieved and how healthy each list is.

The last room of the flow (content -> compose -> delivery -> feedback -> reports):
it reads the delivery log and the feedback events and changes nothing but the
warnings it sends. The CLI, the console and the JSON API all call these functions.
"""
