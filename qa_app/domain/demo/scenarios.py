"""Wording for demo transcripts: what customers bring, and how agents answer at each level.

Each agent line is written for one point of the empathy rubric, so a reviewer
reading a demo transcript can find the behaviour the score describes.
"""

from __future__ import annotations

INTERACTION_TYPES = {
    # name: (share of all calls, difficulty 0 easy .. 1 hard, queue)
    "escalation": (0.12, 1.0, "escalations"),
    "delayed_shipment": (0.22, 0.6, "logistics"),
    "billing_correction": (0.22, 0.5, "billing"),
    "policy_exception": (0.09, 0.9, "escalations"),
    "quick_win": (0.35, 0.0, "general"),
}
CHANNELS = {"voice": 0.55, "chat": 0.30, "email": 0.15}
SAVE_SCRIPTS = ("discount-first", "empathy-first", "value-recap")
TEAMS = ("Harbour", "Summit", "Meadow", "Lantern")

FIRST_NAMES = (
    "Amira",
    "Ben",
    "Chloe",
    "Dario",
    "Elif",
    "Femi",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kiri",
    "Leon",
    "Maya",
    "Nikhil",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
)
LAST_INITIALS = "ABCDEFGHJKLMNPRSTVWZ"

SCENARIOS = {
    "escalation": {
        "opening": [
            "This is the third time I'm calling about my broken router. Nobody ever calls me back "
            "and I'm honestly fed up.",
            "I want to speak to someone who can actually fix this. I've been promised a technician "
            "twice and nobody came.",
        ],
        "situation": "you've called three times and still have no working connection",
        "impact": "you've been working from home without internet",
        "detail": "The router light keeps blinking red and the last ticket was {ref}.",
        "fix": "book a senior technician visit",
        "when": "tomorrow between 8 and 12",
        "option_b": "send a mobile hotspot today so you're online tonight",
    },
    "delayed_shipment": {
        "opening": [
            "My order {ref} was supposed to arrive last Friday and the tracking hasn't moved in "
            "five days.",
            "Where is my parcel? It was a birthday present and the party is on Saturday.",
        ],
        "situation": "your order {ref} is five days late with no tracking updates",
        "impact": "it's a gift you needed before the weekend",
        "detail": "Tracking still says 'label created' for {ref}.",
        "fix": "reship the order by express courier",
        "when": "by Thursday",
        "option_b": "refund the shipping and keep tracing the first parcel",
    },
    "billing_correction": {
        "opening": [
            "I've been charged twice this month, {amount} each time, and I didn't authorise the "
            "second one.",
            "My bill is {amount} higher than usual and nobody told me about a price change.",
        ],
        "situation": "you were charged {amount} twice this month",
        "impact": "that money left your account before rent was due",
        "detail": "Both charges show on the statement for invoice {ref}.",
        "fix": "reverse the duplicate charge of {amount}",
        "when": "within 3 to 5 working days",
        "option_b": "credit {amount} to your account today instead",
    },
    "policy_exception": {
        "opening": [
            "I know the return window closed two days ago but I was in hospital. Surely you can "
            "make an exception?",
            "Your policy says no refunds after 30 days, but the item broke on day 32. That's not "
            "fair.",
        ],
        "situation": "you missed the return window by two days because you were in hospital",
        "impact": "you feel you're being punished for something out of your control",
        "detail": "The order is {ref}; the item stopped working this week.",
        "fix": "raise a policy exception with my team lead so the return is accepted",
        "when": "with a decision by end of day tomorrow",
        "option_b": "repair the item under warranty at no cost",
    },
    "quick_win": {
        "opening": [
            "Hi, I just need to update the email address on my account.",
            "Can you tell me when my next payment is due?",
        ],
        "situation": "you need your account details updated",
        "impact": "you want the change done without fuss",
        "detail": "The account number is {ref}.",
        "fix": "update the details on your account",
        "when": "right now, while we're talking",
        "option_b": "send you a link so you can change it yourself any time",
    },
}

ACKNOWLEDGMENT = {
    1: "That's not what our system shows, so I don't think that's right. "
    "What's the account number?",
    2: "Sorry for the inconvenience. Can I have the account number?",
    3: "Okay, so the issue is that {situation}. Let me pull up the account.",
    4: "I'm really sorry — {situation}, and {impact}. That's a lot to deal with.",
    5: "I'm really sorry — {situation}, and {impact}. I can see why you're frustrated. There are "
    "two ways I can help: I can {fix}, or I can {option_b}. Which would work better for you?",
}
SUMMARY = {
    1: "Right, so you want to cancel the whole account then.",
    2: "So, this is about {topic}.",
    3: "So to recap: {situation}.",
    4: "Let me make sure I've got this right: {situation}, and what you need is for us to sort it "
    "properly this time. Is that correct?",
    5: "Let me make sure I've got this right: {situation}, and what matters most is that "
    "{impact_short}. Have I missed anything?",
}
NEXT_STEPS = {
    1: "There's nothing more I can do on this call.",
    2: "Someone will look into it and it should be sorted soon.",
    3: "I'll {fix}.",
    4: "I'll {fix} — I've done it now, it will happen {when}, and you'll get an email confirming "
    "it.",
    5: "Here's the plan: I'll {fix}, it will happen {when}, and you'll get an email confirming "
    "it. Your reference is {ref}. If it hasn't happened by then, call back with that reference "
    "and you'll come straight to my team. Does that plan work for you?",
}
LOOP_CLOSURE = {
    1: "Okay. Bye.",
    2: "Is there anything else? Have a nice day.",
    3: "Has that resolved everything for you today?",
    4: "I know this has been stressful. Do you feel better about where things stand now?",
    5: "I know this has been really stressful, especially because {impact}. Do you feel better "
    "about where things stand now?",
}
# Customer replies by moment (after the plan, at the close) and by how well the agent did.
CUSTOMER_REACTIONS = {
    "plan": {
        "low": [
            "That doesn't really help me.",
            "So I just wait and hope? Great.",
            "Fine. Whatever.",
        ],
        "mid": ["Okay. And when will that happen?", "Right, I suppose that's something.", "Okay."],
        "high": [
            "Okay, that's clear. Thank you.",
            "Great, I'll look out for the email.",
            "That works for me.",
        ],
    },
    "close": {
        "low": ["No, I'm still not happy.", "I suppose so.", "Not really."],
        "mid": ["That's everything, thanks.", "Yes, that's all.", "Okay, thanks."],
        "high": [
            "Yes, I do. Thank you for actually listening.",
            "I feel a lot better, thanks.",
            "Yes — thank you, that really helped.",
        ],
    },
    "offer": {
        "low": ["That's not really the point.", "I don't want a discount, I want it fixed."],
        "mid": ["Hm, okay. Go on.", "Maybe. Let's see."],
        "high": ["Okay, I'm listening.", "Alright, that's fair. What can you do?"],
    },
}
RETENTION = {
    "customer": "Honestly, I'm thinking of cancelling my subscription over this.",
    "discount-first": "Before you go, I can offer you {credit} off your next three bills.",
    "empathy-first": "I understand why you'd consider leaving after this. Can I show you what I "
    "can do first, and then you decide?",
    "value-recap": "Before you decide, let me recap what your plan includes — you're using the "
    "priority support and the family add-on, which you'd lose if you cancel.",
}
GREETINGS = {
    "voice": "Thanks for calling, this is {agent}. How can I help today?",
    "chat": "Hi, you're chatting with {agent}. What can I do for you?",
    "email": "Hello, thank you for your message. My name is {agent} "
    "and I'm looking after your case.",
}
