"""Engagement: the replies to the brand's posts and the mentions of its accounts, in one inbox; a crisis
caught early. `model` holds the shapes shared by the platform readers (`platforms/<name>/replies.py`,
named lazily), the inbox and the crisis check.
"""
