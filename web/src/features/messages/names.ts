interface Named {
  title: string;
  members: readonly { person: { id: string; name: string } }[];
}

/** A conversation's name: its title, else the others in it (a one-to-one: the other). */
export function conversationName(conversation: Named, meId: string, nobody: string): string {
  if (conversation.title) return conversation.title;
  const others = conversation.members.filter((m) => m.person.id !== meId);
  return others.map((m) => m.person.name).join("、") || nobody;
}
