// The messages screen's operations: the page's one request (my conversations, the open one
// with its latest messages), the live events, and the writes.
import { graphql } from "../../gql";

export const MessagesPageQuery = graphql(`
  query MessagesPage($conversationId: ID!, $withConversation: Boolean!) {
    me {
      id
      roles
    }
    conversations(first: 100) {
      id
      title
      isDirect
      unreadCount
      lastMessageAt
      members {
        person {
          id
          name
        }
      }
    }
    conversation(id: $conversationId) @include(if: $withConversation) {
      id
      ...ConversationView_conversation
    }
  }
`);

export const DirectMessageEventsSubscription = graphql(`
  subscription MessagesPageEvents {
    directMessageEvents {
      kind
      conversation {
        id
      }
      message {
        id
        sender {
          id
        }
      }
    }
  }
`);

export const StartConversationMutation = graphql(`
  mutation StartConversation($input: StartConversationInput!) {
    startConversation(input: $input) {
      conversation {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const SendDirectMessageMutation = graphql(`
  mutation SendDirectMessage($conversationId: ID!, $body: String!) {
    sendDirectMessage(conversationId: $conversationId, body: $body) {
      message {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const MarkConversationReadMutation = graphql(`
  mutation MarkConversationRead($id: ID!) {
    markConversationRead(id: $id) {
      conversation {
        id
        unreadCount
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const AddConversationMembersMutation = graphql(`
  mutation AddConversationMembers($id: ID!, $personIds: [ID!]!) {
    addConversationMembers(id: $id, personIds: $personIds) {
      conversation {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const RemoveConversationMemberMutation = graphql(`
  mutation RemoveConversationMember($id: ID!, $personId: ID!) {
    removeConversationMember(id: $id, personId: $personId) {
      conversation {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);
