from django.core.management.base import BaseCommand

from posts.demo import DEMO_USERNAME, DEMOS, seed_demo_posts


class Command(BaseCommand):
    help = f"Add the demo posts (a few of each render model, owned by '{DEMO_USERNAME}') that are missing."

    def handle(self, *args, **options):
        created = seed_demo_posts()
        self.stdout.write(f"Added {len(created)} demo post(s); {len(DEMOS) - len(created)} were already there.")
