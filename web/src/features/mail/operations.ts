// The mail screen's operations. The page asks for what it shows in one request (mailboxes,
// the chosen folder's list, the open message and its thread); the rest are writes.
import { graphql } from "../../gql";

export const MailPageQuery = graphql(`
  query MailPage(
    $mailboxId: ID!
    $withList: Boolean!
    $folderId: ID
    $search: MailSearchInput
    $first: Int!
    $offset: Int!
    $messageId: ID!
    $withMessage: Boolean!
  ) {
    me {
      id
      roles
    }
    mailboxes {
      id
      kind
      name
      address
      unreadCount
      folders {
        id
        role
        name
        unreadCount
        totalCount
      }
    }
    mailMessages(
      mailboxId: $mailboxId
      folderId: $folderId
      search: $search
      first: $first
      offset: $offset
    ) @include(if: $withList) {
      totalCount
      messages {
        id
        ...MailListItem_message
      }
    }
    mailMessage(id: $messageId) @include(if: $withMessage) {
      id
      ...MailReader_message
    }
    mailThread(id: $messageId) @include(if: $withMessage) {
      id
      subject
      sentAt
      receivedAt
      from {
        name
        address
      }
    }
  }
`);

export const MailEventsSubscription = graphql(`
  subscription MailPageEvents {
    mailEvents {
      kind
      messageId
    }
  }
`);

export const MailComposeQuery = graphql(`
  query MailComposeFrom($id: ID!, $mode: MailComposeMode!) {
    mailCompose(id: $id, mode: $mode) {
      to
      cc
      subject
      textBody
      replyToId
    }
  }
`);

export const MailAddressSuggestionsQuery = graphql(`
  query MailAddressSuggestions($search: String!) {
    mailAddressSuggestions(search: $search, first: 8) {
      name
      address
    }
  }
`);

export const SendMailMutation = graphql(`
  mutation SendMail($input: SendMailInput!) {
    sendMail(input: $input) {
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

export const SaveMailDraftMutation = graphql(`
  mutation SaveMailDraft($input: SendMailInput!) {
    saveMailDraft(input: $input) {
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

export const MarkMailMutation = graphql(`
  mutation MarkMail($input: MarkMailInput!) {
    markMail(input: $input) {
      messages {
        id
        isRead
        isFlagged
        # The counts change with it: the cache updates the side list from this answer.
        mailbox {
          id
          unreadCount
          folders {
            id
            unreadCount
            totalCount
          }
        }
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const MoveMailMutation = graphql(`
  mutation MoveMail($ids: [ID!]!, $folderId: ID!) {
    moveMail(ids: $ids, folderId: $folderId) {
      messages {
        id
        mailbox {
          id
          unreadCount
          folders {
            id
            unreadCount
            totalCount
          }
        }
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const DeleteMailMutation = graphql(`
  mutation DeleteMail($ids: [ID!]!) {
    deleteMail(ids: $ids) {
      ids
      errors {
        code
        message
        field
      }
    }
  }
`);

export const CreateMailFolderMutation = graphql(`
  mutation CreateMailFolder($mailboxId: ID!, $name: String!) {
    createMailFolder(mailboxId: $mailboxId, name: $name) {
      folder {
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
