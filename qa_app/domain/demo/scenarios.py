"""Wording for demo transcripts: who calls and how agents answer at each level (what customers
bring is in qa_app.domain.demo.cases).

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

GREETINGS = {
    "voice": (
        "Thanks for calling, this is {agent}. How can I help today?",
        "Hello, you're speaking with {agent}. What can I do for you?",
        "Customer services, {agent} speaking. How can I help?",
    ),
    "chat": (
        "Hi, you're chatting with {agent}. What can I do for you?",
        "Hi there, {agent} here. How can I help today?",
    ),
    "email": (
        "Hello, and thank you for your message. My name is {agent} and I'm looking after your "
        "case.",
        "Hello, I'm {agent} and I'll be handling your enquiry. Thank you for getting in touch.",
    ),
}
# Agent lines by rubric point (see rubrics/empathy-v1.toml), so a reviewer can find in the
# transcript the behaviour each score describes. Variants are chosen per call.
ACKNOWLEDGMENT = {
    1: ("{dismiss} What's the {id_noun}?",),
    2: (
        "Sorry for the inconvenience. Can I have the {id_noun}?",
        "I apologise for any inconvenience. What's the {id_noun}, please?",
    ),
    3: (
        "Okay, so {situation}. Let me pull that up. What's the {id_noun}?",
        "Right, so {situation}. Can I take the {id_noun}, please?",
    ),
    4: (
        "{ack} {feel} Can I take the {id_noun} so I can get started?",
        "{ack} {feel} Could you give me the {id_noun}, and I'll look into it straight away?",
    ),
    5: (
        "{ack} {feel} There are two ways I can help: I can {fix}, or I can {option_b}. Which "
        "would suit you better? And could you give me the {id_noun}?",
    ),
}
SUMMARY = {
    1: (
        "Right, so you want to cancel the whole account, then.",
        "Okay, so you're looking to close the account.",
    ),
    2: ("So, this is about {topic}.", "Okay, so it's about {topic}."),
    3: ("So to recap: {situation}.", "Just to recap, {situation}."),
    4: (
        "Let me make sure I've got this right: {situation}, and you want {want}. Is that correct?",
        "Just so I'm clear: {situation}, and you want {want}. Have I got that right?",
    ),
    5: (
        "Let me make sure I've got this right: {situation}, you want {want}, and what matters "
        "most to you is that {priority}. Have I missed anything?",
    ),
}
SUMMARY_REPLIES = {
    1: ("No, that's not it at all. {repeat}", "What? No. {repeat}"),
    2: ("Sort of. {repeat}", "Well, yes. {repeat}"),
    3: ("Yes.", "That's right.", "Yes, that's it."),
    4: ("Yes, that's right.", "Yes, exactly.", "That's correct."),
    5: ("No, that's everything.", "No, you've got it.", "That's it exactly."),
}
NEXT_STEPS = {
    1: (
        "There's nothing more I can do on this call.",
        "I'm afraid there's nothing else I can do today.",
    ),
    2: (
        "Someone will look into it and it should be sorted soon.",
        "I'll pass this on, and someone should be in touch soon.",
    ),
    3: ("I'll {fix}.", "What I'll do is {fix}."),
    4: ("{done}. {Confirm}.", "Right. {done}. {Confirm}."),
    5: (
        "Here's the plan. {done}. {Confirm}. Your reference is {case_ref}. If {not_happen}, "
        "contact us with that reference and you'll come straight through to my team. Does that "
        "work for you?",
    ),
}
LOOP_CLOSURE = {
    1: ("Okay. Bye.", "Right, that's all from me. Goodbye."),
    2: ("Is there anything else? Have a nice day.", "Anything else I can help with today?"),
    3: (
        "Has that resolved everything for you today?",
        "Is that everything sorted for you now?",
    ),
    4: ("I know {feeling}. {check}",),
    5: ("I know {feeling}, especially as {impact}. {personal} {check}",),
}
EMAIL_LOOP_CLOSURE = {
    1: ("That's all I can do on this one. Regards, {agent}.",),
    2: ("Is there anything else I can help with? Kind regards, {agent}.",),
}
CHECKS = (
    "Do you feel better about where things stand now?",
    "Do you feel a bit more settled about it now?",
    "Do you feel happier with where things are now?",
)
RETENTION = {
    "customer": (
        "Honestly, I'm thinking of cancelling my subscription over this.",
        "To be honest, I'm close to cancelling over this.",
    ),
    "discount-first": (
        "Before you go, I can offer you {credit} off your next three bills.",
        "I'd hate to lose you. I can take {credit} off your next three bills.",
    ),
    "empathy-first": (
        "I understand why you'd consider leaving after this. Can I show you what I can do "
        "first, and then you decide?",
        "I completely understand why you'd think about leaving. Let me show you what I can do "
        "first, and then it's your call.",
    ),
    "value-recap": (
        "Before you decide, let me recap what your plan includes: you're using the priority "
        "support and the family add-on, which you'd lose if you cancel.",
        "Before you decide, it's worth knowing what you'd lose: your plan includes priority "
        "support and the family add-on, and you use both.",
    ),
}
# Customer replies by moment and by how well the agent did. The seeded stream picks one, so
# keep the list lengths (three per plan and close, two per offer) or the whole demo changes.
CUSTOMER_REACTIONS = {
    "plan": {
        "low": (
            "That doesn't really help me.",
            "So I just wait and hope? Great.",
            "Fine. Whatever.",
        ),
        "mid": ("Okay. And when will that happen?", "Right, I suppose that's something.", "Okay."),
        "high": (
            "Okay, that's clear. Thank you.",
            "Great, I'll look out for the email.",
            "That works for me.",
        ),
    },
    "close": {
        "low": ("Well, I'm still not happy about it.", "I suppose that's it, then.", "Not really."),
        "mid": ("Yes, that's everything, thanks.", "Yes, that's all.", "I think so, thanks."),
        "high": (
            "Yes, I do. Thank you for actually listening.",
            "I feel a lot better, thanks.",
            "Yes. Thank you, that really helped.",
        ),
    },
}
OFFER_REACTIONS = {
    "discount-first": {
        "low": ("That's not really the point.", "I don't want a discount, I want it fixed."),
        "mid": ("Hm, okay. Go on.", "Maybe. Let's see."),
        "high": ("Okay, I'm listening.", "Alright, that's fair. What else can you do?"),
    },
    "empathy-first": {
        "low": ("That's not really the point.", "I've heard that before."),
        "mid": ("Hm, okay. Go on.", "Maybe. Let's see."),
        "high": ("Okay, I'm listening.", "Alright, that's fair. What can you do?"),
    },
    "value-recap": {
        "low": ("That's not really the point.", "I know what's in my plan. I want this fixed."),
        "mid": ("Hm, okay. Go on.", "Maybe. Let's see."),
        "high": ("Okay, fair enough. I'd forgotten about those.", "Alright, what can you do?"),
    },
}
SIGN_OFFS = ("Bye.", "Bye then.", "Goodbye.")
